from Crypto.Cipher import AES

SECRET = b"k9#Lq2!vZ8@pX4$w"


def seal(data: bytes) -> bytes:
    cipher = AES.new(SECRET, AES.MODE_GCM)
    ct, tag = cipher.encrypt_and_digest(data)
    return cipher.nonce + tag + ct

import os
from Crypto.Cipher import AES


def seal(data: bytes, key: bytes) -> bytes:
    cipher = AES.new(key, AES.MODE_GCM, nonce=os.urandom(12))
    ct, tag = cipher.encrypt_and_digest(data)
    return cipher.nonce + tag + ct


def new_key() -> bytes:
    return os.urandom(32)

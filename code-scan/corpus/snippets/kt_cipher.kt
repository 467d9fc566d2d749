import javax.crypto.Cipher

fun cipher(): Cipher = Cipher.getInstance("AES/ECB/PKCS5Padding")

import java.security.MessageDigest

fun md5(input: String): ByteArray =
    MessageDigest.getInstance("MD5").digest(input.toByteArray())

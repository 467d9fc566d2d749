import java.security.MessageDigest

fun sha256(input: String): ByteArray =
    MessageDigest.getInstance("SHA-256").digest(input.toByteArray())

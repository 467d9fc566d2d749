import java.security.KeyPair
import java.security.KeyPairGenerator

object DeviceKeys {
    fun create(): KeyPair {
        val kpg = KeyPairGenerator.getInstance("RSA")
        kpg.initialize(1024)
        return kpg.generateKeyPair()
    }
}

import java.security.KeyPair;
import java.security.KeyPairGenerator;

public class Keys {
    private static final int KEY_BITS = 1024;

    public static KeyPair newSigningKey() throws Exception {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(KEY_BITS);
        return generator.generateKeyPair();
    }
}

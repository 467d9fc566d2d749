import javax.crypto.Cipher;

public class Crypto {
    public byte[] encrypt(javax.crypto.SecretKey key, byte[] data) throws Exception {
        Cipher c = Cipher.getInstance("DES/ECB/PKCS5Padding");
        c.init(Cipher.ENCRYPT_MODE, key);
        return c.doFinal(data);
    }
}

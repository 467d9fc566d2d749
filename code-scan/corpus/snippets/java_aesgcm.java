import javax.crypto.Cipher;

public class Crypto {
    public Cipher cipher() throws Exception {
        return Cipher.getInstance("AES/GCM/NoPadding");
    }
}

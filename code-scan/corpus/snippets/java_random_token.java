import java.util.Random;

public class Tokens {
    public String newToken() {
        String token = Long.toHexString(new Random().nextLong());
        return token;
    }
}

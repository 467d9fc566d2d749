using System.Security.Cryptography;

public class Tokens {
    public byte[] Make() => RandomNumberGenerator.GetBytes(32);
}

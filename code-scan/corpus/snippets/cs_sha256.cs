using System.Security.Cryptography;

public static class Hash {
    public static byte[] Compute(byte[] data) => SHA256.HashData(data);
}

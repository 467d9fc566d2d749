using System.Security.Cryptography;

public static class SafeVault
{
    public static byte[] Encrypt(byte[] key, byte[] plain, out byte[] iv)
    {
        using var aes = Aes.Create();
        aes.Key = key;
        aes.GenerateIV();
        iv = aes.IV;
        using var enc = aes.CreateEncryptor();
        return enc.TransformFinalBlock(plain, 0, plain.Length);
    }
}

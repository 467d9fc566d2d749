using System.Security.Cryptography;

public static class Signer
{
    public static byte[] Sign(byte[] data)
    {
        using var rsa = RSA.Create(1024);
        return rsa.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
    }
}

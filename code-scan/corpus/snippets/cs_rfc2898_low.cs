using System.Security.Cryptography;

public static class Kdf
{
    public static byte[] Derive(string password, byte[] salt)
    {
        using var pbkdf2 = new Rfc2898DeriveBytes(password, salt, 5000, HashAlgorithmName.SHA256);
        return pbkdf2.GetBytes(32);
    }
}

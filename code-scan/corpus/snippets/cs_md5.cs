using System.Security.Cryptography;
using System.Text;

public static class Hash {
    public static byte[] Compute(string s) {
        using var md5 = MD5.Create();
        return md5.ComputeHash(Encoding.UTF8.GetBytes(s));
    }
}

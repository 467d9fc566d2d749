#include <openssl/evp.h>

static const unsigned char KEY[32] = "0123456789abcdef0123456789abcdef";
static const unsigned char IV[16] = { 0 };

int encrypt_blob(const unsigned char *in, int len, unsigned char *out)
{
    int n = 0, total = 0;
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    EVP_EncryptInit_ex(ctx, EVP_aes_256_cbc(), NULL, KEY, IV);
    EVP_EncryptUpdate(ctx, out, &n, in, len);
    total = n;
    EVP_EncryptFinal_ex(ctx, out + n, &n);
    EVP_CIPHER_CTX_free(ctx);
    return total + n;
}

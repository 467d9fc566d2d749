#include <openssl/evp.h>
#include <openssl/rand.h>

/* Seals a record with AES-256-GCM under a caller-supplied key and a fresh 96-bit nonce. */
int seal_record(const unsigned char *key, const unsigned char *msg, int msg_len,
                unsigned char nonce[12], unsigned char tag[16], unsigned char *sealed)
{
    EVP_CIPHER_CTX *ctx;
    int written, ok;

    if (RAND_bytes(nonce, 12) != 1)
        return -1;
    if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
        return -1;
    ok = EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, nonce)
        && EVP_EncryptUpdate(ctx, sealed, &written, msg, msg_len)
        && EVP_EncryptFinal_ex(ctx, sealed + written, &written)
        && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag);
    EVP_CIPHER_CTX_free(ctx);
    return ok ? msg_len : -1;
}

#include <openssl/rsa.h>
#include <openssl/bn.h>

RSA *make_key(void)
{
    RSA *rsa = RSA_new();
    BIGNUM *e = BN_new();
    BN_set_word(e, RSA_F4);
    RSA_generate_key_ex(rsa, 1024, e, NULL);
    BN_free(e);
    return rsa;
}

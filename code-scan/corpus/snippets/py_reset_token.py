import random
import string

def make_reset_token(length=32):
    alphabet = string.ascii_letters + string.digits
    reset_token = "".join(random.choice(alphabet) for _ in range(length))
    return reset_token

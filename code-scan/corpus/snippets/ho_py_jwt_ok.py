import jwt

def current_user(token, key):
    payload = jwt.decode(token, key, algorithms=["HS256"])
    return payload["sub"]

import pickle
import redis

r = redis.Redis()

def load_session(session_id):
    blob = r.get("session:" + session_id)
    return pickle.loads(blob)

import random

def roll_dice():
    return random.randint(1, 6)

delay = random.uniform(0.1, 0.5)

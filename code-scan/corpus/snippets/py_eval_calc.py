def calculate(expression):
    """Evaluate a math expression entered by the user."""
    return eval(expression)

print(calculate(input("> ")))

from django.db import connection

def search_products(term):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, name FROM products WHERE name LIKE '%%%s%%'" % term)
        return cursor.fetchall()

import psycopg2

conn = psycopg2.connect(
    host="db.internal",
    user="app",
    password="Zq8!vR3#pL6wT1xK",
    dbname="orders",
)

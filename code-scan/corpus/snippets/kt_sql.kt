fun findUser(db: SQLiteDatabase, name: String): Cursor {
    return db.rawQuery("SELECT * FROM users WHERE name = '$name'", null)
}

import SQLite3

func delete(db: OpaquePointer?, id: String) {
    let sql = "DELETE FROM notes WHERE id = '\(id)'"
    sqlite3_exec(db, sql, nil, nil, nil)
}

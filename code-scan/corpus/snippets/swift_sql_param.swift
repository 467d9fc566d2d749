import SQLite3

func delete(db: OpaquePointer?, id: String) {
    var stmt: OpaquePointer?
    sqlite3_prepare_v2(db, "DELETE FROM notes WHERE id = ?", -1, &stmt, nil)
    sqlite3_bind_text(stmt, 1, id, -1, nil)
    sqlite3_step(stmt)
}

import SQLite3

final class ContactStore {
    private var db: OpaquePointer?

    func delete(named name: String) {
        let sql = "DELETE FROM contacts WHERE name = '\(name)';"
        var error: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(db, sql, nil, nil, &error) != SQLITE_OK {
            sqlite3_free(error)
        }
    }
}

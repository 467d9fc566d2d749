import android.database.Cursor
import android.database.sqlite.SQLiteDatabase

class NotesRepository(private val db: SQLiteDatabase) {
    fun search(term: String): Cursor {
        val query = "SELECT _id, title FROM notes WHERE title LIKE '%$term%'"
        return db.rawQuery(query, null)
    }
}

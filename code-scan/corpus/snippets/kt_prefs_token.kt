import android.content.Context

class SessionStore(context: Context) {
    private val prefs = context.getSharedPreferences("session", Context.MODE_PRIVATE)

    fun save(accessToken: String) {
        prefs.edit().putString("access_token", accessToken).apply()
    }
}

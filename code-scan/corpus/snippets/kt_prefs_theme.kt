import android.content.Context

class SettingsStore(context: Context) {
    private val prefs = context.getSharedPreferences("settings", Context.MODE_PRIVATE)

    fun saveTheme(theme: String) {
        prefs.edit().putString("theme", theme).putBoolean("onboarded", true).apply()
    }
}

import kotlin.random.Random

fun newApiKey(): String {
    val apiKey = Random.nextLong().toString(36)
    return apiKey
}

import Foundation

func saveLogin(user: String, password: String) {
    UserDefaults.standard.set(user, forKey: "user")
    UserDefaults.standard.set(password, forKey: "password")
}

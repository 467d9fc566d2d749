import CryptoSwift

func deriveKey(password: String, salt: [UInt8]) throws -> [UInt8] {
    return try PKCS5.PBKDF2(password: Array(password.utf8), salt: salt, iterations: 2048, keyLength: 32, variant: .sha2(.sha256)).calculate()
}

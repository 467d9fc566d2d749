import CryptoSwift

struct Obfuscator {
    func encrypt(_ plain: [UInt8]) throws -> [UInt8] {
        let aes = try AES(key: "7h1s-1s-n0t-s3cr3t-at-all-32byte", iv: "fixed-iv-16bytes")
        return try aes.encrypt(plain)
    }
}

import CryptoKit
import Foundation

struct Sealer {
    let key = SymmetricKey(size: .bits256)

    func seal(_ message: Data) throws -> Data {
        let box = try AES.GCM.seal(message, using: key)
        return box.combined!
    }
}

import Foundation

let legacyMinimum = tls_protocol_version_t.TLSv10

func makeSession() -> URLSession {
    let config = URLSessionConfiguration.ephemeral
    config.tlsMinimumSupportedProtocolVersion = legacyMinimum
    return URLSession(configuration: config)
}

import WebKit

final class ProfileViewController {
    let webView = WKWebView()

    func show(displayName: String) {
        let script = "document.getElementById('name').innerHTML = '\(displayName)';"
        webView.evaluateJavaScript(script, completionHandler: nil)
    }
}

import Foundation

let url = URL(string: "http://api.example.com/v1/login")!
var request = URLRequest(url: url)
request.httpMethod = "POST"

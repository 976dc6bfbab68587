import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore

/// Judges through any OpenAI-compatible `/v1/chat/completions` endpoint, with a per-request
/// timeout, retries with exponential backoff (timeouts, connection errors, 429 and 5xx), a
/// limit on requests in flight, and an on-disk cache keyed by the request body.
public struct HTTPJudgeBackend: JudgeBackend {
  public let baseURL: String
  public let model: String
  public var apiKey: String?
  public var timeoutSeconds: Double
  public var retries: Int
  public var concurrency: Int
  /// Where replies are cached (`nil`: no cache).
  public var cacheDirectory: URL?
  public var name: String { "http:\(baseURL)#\(model)" }

  public init(
    baseURL: String, model: String, apiKey: String? = nil, timeoutSeconds: Double = 60,
    retries: Int = 3,
    concurrency: Int = 4, cacheDirectory: URL? = nil
  ) {
    self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    self.model = model
    self.apiKey = apiKey
    self.timeoutSeconds = timeoutSeconds
    self.retries = retries
    self.concurrency = concurrency
    self.cacheDirectory = cacheDirectory
  }

  var endpoint: String { baseURL + "/chat/completions" }

  public func complete(_ prompts: [String], maxTokens: Int) async throws -> [String] {
    try await mapConcurrently(prompts) { prompt in
      let reply = try await request(prompt: prompt, maxTokens: maxTokens, logprobs: false)
      return try Self.content(reply, endpoint: endpoint)
    }
  }

  public func yesProbability(_ prompts: [String]) async throws -> [Double?] {
    try await mapConcurrently(prompts) { prompt in
      let reply = try await request(prompt: prompt, maxTokens: 1, logprobs: true)
      return Self.yesShare(reply)
    }
  }

  /// Runs `body` over `items` with at most `concurrency` in flight, keeping order.
  func mapConcurrently<T: Sendable>(
    _ items: [String], _ body: @escaping @Sendable (String) async throws -> T
  )
    async throws -> [T]
  {
    try await withThrowingTaskGroup(of: (Int, T).self) { group in
      var results = [T?](repeating: nil, count: items.count)
      var next = 0
      for _ in 0..<min(max(1, concurrency), items.count) {
        let i = next
        group.addTask { (i, try await body(items[i])) }
        next += 1
      }
      while let (i, value) = try await group.next() {
        results[i] = value
        if next < items.count {
          let j = next
          group.addTask { (j, try await body(items[j])) }
          next += 1
        }
      }
      return results.map { $0! }
    }
  }

  /// The JSON reply for one prompt, from the cache or the endpoint.
  func request(prompt: String, maxTokens: Int, logprobs: Bool) async throws -> [String: Any] {
    var body: [String: Any] = [
      "model": model, "messages": [["role": "user", "content": prompt]], "temperature": 0,
      "max_tokens": maxTokens,
    ]
    if logprobs {
      body["logprobs"] = true
      body["top_logprobs"] = 10
    }
    let data = try JSONSerialization.data(withJSONObject: body, options: [.sortedKeys])
    let cacheFile = cacheDirectory?.appendingPathComponent(
      Self.cacheKey(endpoint + "\n" + String(decoding: data, as: UTF8.self)) + ".json")
    if let cacheFile, let cached = try? Data(contentsOf: cacheFile),
      let object = try? JSONSerialization.jsonObject(with: cached) as? [String: Any]
    {
      return object
    }
    var lastError: Error = JudgeError.transport(endpoint: endpoint, reason: "no attempt made")
    for attempt in 0...max(0, retries) {
      if attempt > 0 {
        try await Task.sleep(nanoseconds: UInt64(0.25 * pow(2, Double(attempt - 1)) * 1e9))
      }
      var req = HTTPClientRequest(url: endpoint)
      req.method = .POST
      req.headers.add(name: "Content-Type", value: "application/json")
      if let apiKey { req.headers.add(name: "Authorization", value: "Bearer \(apiKey)") }
      req.body = .bytes(ByteBuffer(bytes: Array(data)))
      do {
        let response = try await HTTPClient.shared.execute(
          req, timeout: .milliseconds(Int64(timeoutSeconds * 1000)))
        let bytes = try await response.body.collect(upTo: 16 << 20)
        let text = String(buffer: bytes)
        let status = Int(response.status.code)
        if status == 429 || status >= 500 {
          lastError = JudgeError.http(endpoint: endpoint, status: status, body: text)
          continue
        }
        guard status == 200 else {
          throw JudgeError.http(endpoint: endpoint, status: status, body: text)
        }
        guard
          let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        else {
          throw JudgeError.malformedResponse(endpoint: endpoint, reason: "not a JSON object")
        }
        if let cacheFile {
          try? FileManager.default.createDirectory(
            at: cacheFile.deletingLastPathComponent(), withIntermediateDirectories: true)
          try? Data(text.utf8).write(to: cacheFile, options: .atomic)
        }
        return object
      } catch let e as JudgeError {
        if case .http = e { throw e }
        throw e
      } catch let e as HTTPClientError
        where e == .deadlineExceeded || e == .readTimeout || e == .connectTimeout
      {
        lastError = JudgeError.timeout(
          endpoint: endpoint, seconds: timeoutSeconds, attempts: attempt + 1)
      } catch {
        lastError = JudgeError.transport(endpoint: endpoint, reason: "\(error)")
      }
    }
    throw lastError
  }

  static func content(_ reply: [String: Any], endpoint: String) throws -> String {
    guard let choices = reply["choices"] as? [[String: Any]],
      let message = choices.first?["message"] as? [String: Any],
      let content = message["content"] as? String
    else {
      throw JudgeError.malformedResponse(
        endpoint: endpoint, reason: "no choices[0].message.content")
    }
    return content
  }

  /// `P(yes) / (P(yes) + P(no))` from the first token's `top_logprobs`; `nil` without them.
  static func yesShare(_ reply: [String: Any]) -> Double? {
    guard let choices = reply["choices"] as? [[String: Any]],
      let logprobs = choices.first?["logprobs"] as? [String: Any],
      let content = logprobs["content"] as? [[String: Any]],
      let top = content.first?["top_logprobs"] as? [[String: Any]]
    else { return nil }
    var yes = 0.0, no = 0.0
    for entry in top {
      guard let token = entry["token"] as? String, let lp = entry["logprob"] as? Double else {
        continue
      }
      let word = token.trimmingCharacters(in: .whitespaces).lowercased()
      if word == "yes" { yes += exp(lp) } else if word == "no" { no += exp(lp) }
    }
    return yes + no > 0 ? yes / (yes + no) : nil
  }

  /// The cache file name: the SHA-256 of `text` (the endpoint, a newline and the request
  /// body with sorted keys, i.e. everything that decides the reply), as lowercase hex.
  static func cacheKey(_ text: String) -> String {
    SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
  }
}

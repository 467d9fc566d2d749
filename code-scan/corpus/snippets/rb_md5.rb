require "digest"

def fingerprint(data)
  Digest::MD5.hexdigest(data)
end

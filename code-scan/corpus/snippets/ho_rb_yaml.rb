require "yaml"

def import_settings(upload)
  YAML.load(upload.read)
end

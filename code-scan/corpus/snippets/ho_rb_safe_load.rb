require "yaml"

def import_settings(upload)
  YAML.safe_load(upload.read, permitted_classes: [Symbol])
end

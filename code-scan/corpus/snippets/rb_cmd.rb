class ReportsController < ApplicationController
  def export
    system("zip -r /tmp/out.zip #{params[:dir]}")
    send_file "/tmp/out.zip"
  end
end

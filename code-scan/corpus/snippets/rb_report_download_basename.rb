class ReportsController < ApplicationController
  REPORT_DIR = Rails.root.join("storage", "reports")

  def download
    report = File.basename(params[:report].to_s)
    send_file File.join(REPORT_DIR, report), disposition: "attachment"
  end
end

class ReportsController < ApplicationController
  REPORT_DIR = Rails.root.join("storage", "reports")

  def download
    report = params[:report]
    send_file File.join(REPORT_DIR, report), disposition: "attachment"
  end
end

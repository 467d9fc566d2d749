#include <cstdlib>
#include <string>

void open_url(const std::string& url) {
    std::string cmd = "xdg-open " + url;
    std::system(cmd.c_str());
}

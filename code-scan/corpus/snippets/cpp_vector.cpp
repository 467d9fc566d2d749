#include <string>
#include <vector>
#include <iostream>

int main() {
    std::vector<std::string> names{"a", "b"};
    for (const auto& n : names) std::cout << n << '\n';
}

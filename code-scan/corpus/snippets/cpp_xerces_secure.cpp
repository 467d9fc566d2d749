#include <xercesc/parsers/XercesDOMParser.hpp>

using namespace xercesc;

DOMDocument *load_config(const char *path)
{
    XercesDOMParser *parser = new XercesDOMParser();
    parser->setDoNamespaces(true);
    parser->setDisableDefaultEntityResolution(true);
    parser->parse(path);
    return parser->adoptDocument();
}

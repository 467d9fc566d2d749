fun ping(host: String): Process {
    return Runtime.getRuntime().exec("ping -c 1 " + host)
}

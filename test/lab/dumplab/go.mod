module dumplab

go 1.19

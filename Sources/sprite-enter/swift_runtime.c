/*
 * The Swift driver links swiftrt.o into every executable it links, this C one too. Its image
 * constructor registers the program's Swift metadata (it has none) with these two functions of
 * the Swift runtime; defined here, the runtime is not linked in at all (see spriteEnterLinking
 * in Package.swift): no crash handler installed, no libstdc++ loaded, at every start.
 */
void swift_addNewDSOImage(const void *header);
int _swift_backtrace_isThunkFunction(const char *name);

void swift_addNewDSOImage(const void *header) { (void)header; }

int _swift_backtrace_isThunkFunction(const char *name) {
    (void)name;
    return 0;
}

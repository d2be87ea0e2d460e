import GitSpriteCLI
GitSpriteMain.run()

from bot.cli import main

if __name__ == "__main__":  # guard: training runs in a spawned child that imports this module
    main()
